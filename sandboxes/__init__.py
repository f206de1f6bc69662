"""Development tools that stand in for the outside world: never imported by the addon at run time.

``bank`` is a bank on loopback speaking STET v1.6 or Berlin Group NextGenPSD2 1.3.12 payment
initiation, built from the specifications and checking every request against them (``specs``), with
signatures checked by its own reading of the standards (``http_signatures``) and eIDAS certificate
stand-ins (``certificates``). ``fintecture`` and ``gocardless`` are the two contracted services, built
from their API references and official clients (``service_shapes`` reads GoCardless's bodies as its
official client does). The tests and ``make demo`` start them.
"""
