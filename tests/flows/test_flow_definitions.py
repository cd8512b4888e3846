"""Flows as code: the shipped flows are valid; a bad file is refused with its file and line."""

from pathlib import Path

import pytest

from automation.definitions import load_flow, load_policy, validate_folder
from automation.errors import FlowDefinitionError

FLOWS = Path(__file__).resolve().parents[2] / "flows"
SHOP_FLOWS = {
    "cart_abandonment",
    "welcome_series",
    "post_purchase_cross_sell",
    "win_back",
    "churn_risk_save",
    "back_in_stock",
}

GOOD = """\
name: {name}
version: 1
trigger:
  type: event
  event: Order Completed
steps:
  - id: hello
    send: {{channel: email, subject: "Hi", body: "Thanks"}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(text)
    return path


def test_shipped_flows_are_valid_and_cover_the_shop():
    flows, errors = validate_folder(FLOWS)
    assert errors == []
    assert {f.name for f in flows} == SHOP_FLOWS
    kinds = {f.trigger["type"] for f in flows}
    assert kinds == {"absence", "event", "inactivity", "trait_changed", "restock"}
    policy = load_policy(FLOWS / "_policy.yml")
    assert policy.caps["email"] == (3, 86400)
    assert policy.quiet_channels == ("sms", "web_push")


def test_a_good_file_loads(tmp_path):
    flow = load_flow(write(tmp_path, "thanks", GOOD.format(name="thanks")))
    assert flow.entry == "once" and [s.kind for s in flow.steps] == ["send"]


@pytest.mark.parametrize(
    "text, line, words",
    [
        (GOOD.format(name="x").replace("type: event", "type: evnt"), 4, "trigger"),
        (GOOD.format(name="x") + "  - id: later\n    wait: 30 minutes\n", 10, "steps/1/wait"),
        (GOOD.format(name="x").replace("version: 1", "version: one"), 2, "`one`"),
        (GOOD.format(name="x").replace('body: "Thanks"', 'body: "{{ profile.name "'), 8, "template error"),
        (GOOD.format(name="y"), 1, "must equal the file name `x`"),
        (GOOD.format(name="x").replace("  - id: hello", "  - id: hello\n    extra: 1"), 7, "extra"),
        ("name: x\nversion: 1\n trigger: [\n", 3, "not valid YAML"),
    ],
)
def test_errors_name_file_and_line(tmp_path, text, line, words):
    path = write(tmp_path, "x", text)
    with pytest.raises(FlowDefinitionError) as caught:
        load_flow(path)
    assert caught.value.line == line, str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert words in str(caught.value)


def test_goto_must_name_a_later_step(tmp_path):
    text = GOOD.format(name="x") + "  - id: check\n    branch: {if: {in_segment: vip}, goto: nowhere}\n"
    with pytest.raises(FlowDefinitionError, match=r"x.yml:10: goto `nowhere` is not a step"):
        load_flow(write(tmp_path, "x", text))


def test_once_per_key_needs_a_key(tmp_path):
    text = GOOD.format(name="x").replace("steps:", "entry: once_per_key\nsteps:")
    with pytest.raises(FlowDefinitionError, match=r"x.yml:6: entry `once_per_key` needs a trigger `key`"):
        load_flow(write(tmp_path, "x", text))


def test_policy_errors_name_the_line(tmp_path):
    path = tmp_path / "_policy.yml"
    path.write_text("caps:\n  email: {max: 3, per: 1d}\n  fax: {max: 1, per: 1d}\n")
    with pytest.raises(FlowDefinitionError, match=r"_policy.yml:\d+: .*fax"):
        load_policy(path)
    path.write_text("default_timezone: Mars/Olympus\n")
    with pytest.raises(FlowDefinitionError, match=r"_policy.yml:1: time zone `Mars/Olympus`"):
        load_policy(path)
