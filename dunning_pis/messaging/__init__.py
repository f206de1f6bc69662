"""Text messages in plain Python: what fits one SMS, and text made to fit the GSM 7-bit alphabet."""
