"""Each candidacy command names the event it records, and a stage offers exactly the
commands whose event it allows."""

from domain.candidacy.state import Stage
from workflows import commands as c
from workflows.handlers import HANDLERS
from workflows.steps import STEP_EVENTS, commands_open_in


def test_every_candidacy_command_names_its_event() -> None:
    assert set(STEP_EVENTS) == set(c.CANDIDACY_COMMANDS.values())
    assert set(STEP_EVENTS) <= set(HANDLERS)


def test_a_stage_offers_the_commands_of_its_step() -> None:
    assert commands_open_in(Stage.SOURCE_POOL)[0] == "class-enrolment"
    assert "ceremony" in commands_open_in(Stage.ADMITTED)
    assert "ceremony" not in commands_open_in(Stage.DOSSIER)
    assert "branch-votes" in commands_open_in(Stage.VERIFICATION)
    # A closed candidacy takes corrections only.
    assert commands_open_in(Stage.OFFICIAL) == ["corrections"]
