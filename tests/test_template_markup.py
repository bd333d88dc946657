"""Results sentences wrap names in |safe markup; what was typed in them stays escaped."""

from __future__ import annotations

import pytest

HOSTILE = '<img src=x onerror=alert(1)>"knee pain'


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_typed_text_in_the_interpretation_and_did_you_mean_is_escaped(demo_app, prefix):
    client = demo_app.test_client()
    for q in (HOSTILE, "physcal therapist <b>x</b>", "<script>x</script> back pain"):
        html = client.get(f"{prefix}/find-a-doctor", query_string={"q": q}).get_data(as_text=True)
        assert "<img src=x" not in html and "<script>x</script>" not in html
        assert "<b>x</b>" not in html
    html = client.get(f"{prefix}/find-a-doctor", query_string={"q": HOSTILE}).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown, escaped, in the sentence
    assert "<strong>" in html  # the |safe markup around the specialty names still renders
