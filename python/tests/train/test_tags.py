"""The command as the product parses it."""

import pytest

from relaytools.train import tags


def test_render_and_parse_round_trip():
    assert tags.render(16) == "<call>16</call>"
    assert tags.last_command("so 12 + 30 <call>16</call>") == 16
    assert tags.last_command("so <call> 7 </call>") == 7
    with pytest.raises(ValueError):
        tags.render(0)


@pytest.mark.parametrize("text", ["<call>0</call>", "<call></call>", "<call>x</call>", "no tag", "<call>5</call> then more"])
def test_no_call(text):
    assert tags.last_command(text) is None


def test_strip_removes_every_tag_and_clamp_bounds_n():
    assert tags.strip("a <call>8</call>b<call></call>c") == "a bc"
    assert tags.commands("<call>3</call> x <call>0</call> <call>9</call>") == [3, 9]
    assert tags.clamp(0, 32) == 1 and tags.clamp(500, 32) == 32 and tags.clamp(8, 32) == 8
