"""A command's own output, told apart from the log lines a monitor terminal prints around it."""

from __future__ import annotations

import re

import pytest

from devices.terminal import end_of_output, own_output

LINK = "%LINK-3-UPDOWN: Interface Serial0, changed state to up"
GRANT = "The certificate has been granted by CA!"
STAMPED = "*Mar  1 00:12:34.567: %CRYPTO-5-SESSION_STATUS: Crypto tunnel is UP.  Peer 10.0.0.2:500"


def test_it_keeps_the_output_between_echo_and_prompt() -> None:
    raw = "show clock\n16:07:02.123 PST Thu Mar 1 2024\nrouter#"
    assert own_output(raw, "show clock", "router") == "16:07:02.123 PST Thu Mar 1 2024"


@pytest.mark.parametrize("late", [LINK, GRANT, STAMPED])
def test_it_drops_log_lines_after_the_prompt_and_before_the_echo(late: str) -> None:
    raw = f"\n{late}\nshow clock\n16:07:02 UTC Thu Mar 1 2024\nasa-1# \n{late}\n"
    assert own_output(raw, "show clock", "asa-1") == "16:07:02 UTC Thu Mar 1 2024"


@pytest.mark.parametrize("late", [LINK, STAMPED])
def test_it_drops_a_prompt_reprinted_after_a_log_line(late: str) -> None:
    # `logging synchronous`: the message pushes the prompt up and the device prints it again below.
    raw = f"show clock\n16:07:02 UTC Thu Mar 1 2024\nrouter#\n{late}\nrouter#"
    assert own_output(raw, "show clock", "router") == "16:07:02 UTC Thu Mar 1 2024"
    raw = f"show clock\nout\n{late}\nrouter#\n{late}\n\nrouter#\n{late}\n"
    assert own_output(raw, "show clock", "router") == f"out\n{late}"


def test_it_keeps_a_log_line_inside_the_output() -> None:
    raw = f"show crypto isakmp sa\ndst src state\n{LINK}\n10.0.0.2 10.0.0.1 QM_IDLE\nrouter#"
    assert own_output(raw, "show crypto isakmp sa", "router").splitlines() == [
        "dst src state",
        LINK,
        "10.0.0.2 10.0.0.1 QM_IDLE",
    ]


def test_it_keeps_both_ends_it_cannot_recognise() -> None:
    raw = "16:07:02 UTC Thu Mar 1 2024\n<--- More --->"
    assert own_output(raw, "show clock", "asa-1") == raw


@pytest.mark.parametrize(
    ("read", "ended"),
    [
        ("out\nrouter#", True),
        ("out\nrouter(config)# ", True),
        (f"out\nasa-1# \n{GRANT}\n", True),
        (f"out\nrouter#\n{STAMPED}", True),
        ("out\nrouter#\nmore output", False),
        ("out\nrou", False),
        (f"out\nrouter#\n{GRANT[:10]}", False),
    ],
)
def test_it_sees_the_end_of_an_output_only_at_its_prompt(read: str, ended: bool) -> None:
    prompt = "asa-1" if "asa-1" in read else "router"
    assert bool(re.search(end_of_output(prompt), read)) is ended
