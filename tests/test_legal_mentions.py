"""Company wordings of the invoice's payment mentions: only their own placeholders, nothing else."""

import pytest
from receivables.legal_mentions import WordingError, check, fill


def test_fills_the_placeholders_of_its_mention():
    assert fill("late_interest", "Pénalités : {rate} % l'an.", rate="12,15") == "Pénalités : 12,15 % l'an."
    assert fill("no_discount", "Pas d'escompte.") == "Pas d'escompte."


@pytest.mark.parametrize(("wording", "wrong"), [
    ("Escompte de {total}", ("total",)),
    ("{rate}", ("rate",)),  # another mention's placeholder
    ("{amount.__class__}", ("amount.__class__",)),
    ("{amount!r}", ("amount!r",)),
    ("{amount:>10}", ("amount:>10",)),
])
def test_refuses_what_is_not_one_of_its_placeholders(wording, wrong):
    with pytest.raises(WordingError) as error:
        check("indemnity", wording)
    assert (error.value.problem, error.value.names) == ("unknown", wrong)


def test_refuses_unbalanced_braces():
    with pytest.raises(WordingError) as error:
        fill("due_date", "Échéance : {date", date="30/07/2026")
    assert error.value.problem == "syntax"
