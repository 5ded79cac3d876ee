"""`manage.py parse` per docs/contracts.md §2: one JSON document, one line per file for several, exit 2 when unknown."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.parsers.helpers import FIXTURES, ROOT


def test_it_prints_one_json_document_for_one_file() -> None:
    out = StringIO()
    call_command(
        "parse",
        "--platform",
        "cisco_ios",
        "--command",
        "sh cr isa sa",
        str(FIXTURES / "cisco_ios" / "show_crypto_isakmp_sa.txt"),
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert result["ike_sas"][0]["conn_id"] == 110 and result["warnings"] == []


def test_it_prints_one_line_per_file_for_several() -> None:
    out = StringIO()
    files = [
        str(FIXTURES / "cisco_pix" / name)
        for name in ("show_ca_certificate.txt", "show_ca_certificate__ca_only.txt")
    ]
    call_command("parse", "--platform", "cisco_pix", "--command", "show ca certificate", *files, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["file"] for line in lines] == files
    assert [len(line["result"]["certificates"]) for line in lines] == [4, 3]


def test_it_refuses_an_unknown_command_with_exit_code_2() -> None:
    with pytest.raises(CommandError) as caught:
        call_command("parse", "--platform", "cisco_ios", "--command", "show version", stdout=StringIO())
    assert caught.value.returncode == 2


def test_it_reads_stdin_and_exits_2_on_unknown_platform_through_a_subprocess() -> None:
    manage = [sys.executable, str(ROOT / "manage.py"), "parse"]
    done = subprocess.run(
        [*manage, "--platform", "cisco_pix", "--command", "sh clock"],
        input="09:27:54 Jan 11 2002\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["clock"] == "2002-01-11T09:27:54+00:00"
    refused = subprocess.run(
        [*manage, "--platform", "junos", "--command", "sh clock"],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "unknown platform" in refused.stderr


def test_it_turns_output_it_does_not_understand_into_warnings() -> None:
    out = StringIO()
    path = FIXTURES / "cisco_ios" / "show_crypto_isakmp_sa.txt"
    call_command("parse", "--platform", "cisco_ios", "--command", "show clock", str(path), stdout=out)
    result = json.loads(out.getvalue())
    assert result["clock"] is None and len(result["warnings"]) == 2


def test_it_returns_the_device_error_in_the_result() -> None:
    out = StringIO()
    path = FIXTURES / "cisco_ios" / "show_crypto_isakmp_sa.txt"
    call_command(
        "parse", "--platform", "cisco_ios", "--command", "show crypto pki certificates", str(path), stdout=out
    )
    assert "error" not in json.loads(out.getvalue())


def test_it_parses_every_seed_fixture_and_corpus_file() -> None:
    from collections import defaultdict

    from tests.parsers.corpus import corpus_files
    from tests.parsers.test_terminal_realities import CASES

    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for platform, command, name in CASES:
        groups[(platform, command)].append(str(FIXTURES / platform / f"{name}.txt"))
    for path, platform, command in corpus_files():
        groups[(platform, command)].append(str(path))
    total = 0
    for (platform, command), files in groups.items():
        out = StringIO()
        # Two copies of the first file make even a one-file group print one JSON object a line.
        call_command("parse", "--platform", platform, "--command", command, files[0], *files, stdout=out)
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        assert [line["file"] for line in lines] == [files[0], *files]
        assert all("warnings" in line["result"] for line in lines)
        total += len(files)
    assert total >= 90
