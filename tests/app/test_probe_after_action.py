"""The probe view after a curation action: only the contacts whose look changes are restyled
(once each per change, not every contact once per session signal), the contacts stay faded
while a new unit's channel is found, and the colours equal those of a view built afresh."""

import pytest

from app.model.demo import make_demo_dataset
from app.model.session import Session
from app.views.probe import ProbeView
from core.curation import CurationSession


@pytest.fixture(scope="module")
def demo():
    return make_demo_dataset(duration_s=2.0, num_units=8)


@pytest.fixture
def curated(qtbot, demo, tmp_path):
    """``(session, curation, view)``: every unit on its own channel (unit i on channel 3 i)."""
    curation = CurationSession(demo.sorting, journal_folder=tmp_path)
    session = Session()
    session.open(recording=demo.recording, sorting=curation.sorting)
    channels = demo.recording.channel_ids.tolist()
    session.set_unit_channels(
        {u: channels[3 * i] for i, u in enumerate(session.sorting.unit_ids.tolist())}
    )
    view = ProbeView(session)
    qtbot.addWidget(view)
    return session, curation, view


class Restyled:
    """Channels of the contacts `ProbeView` restyles (None for unwired ones)."""

    def __init__(self, view: ProbeView, monkeypatch) -> None:
        self.channels: list = []
        style = view._style_contact

        def counting(i, channel, key, pens):
            self.channels.append(channel)
            return style(i, channel, key, pens)

        monkeypatch.setattr(view, "_style_contact", counting)


def fresh_colors(qtbot, session: Session) -> dict:
    view = ProbeView(session)
    qtbot.addWidget(view)
    return {c: color.rgba() for c, color in view.contact_colors().items()}


def colors(view: ProbeView) -> dict:
    return {c: color.rgba() for c, color in view.contact_colors().items()}


def test_a_merge_restyles_only_the_merged_units_contacts(qtbot, curated, monkeypatch):
    session, curation, view = curated
    a, b = session.sorting.unit_ids.tolist()[:2]
    channel_a, channel_b = session.unit_channel_ids[a], session.unit_channel_ids[b]
    session.select_units([a, b])
    assert colors(view) == fresh_colors(qtbot, session)
    restyled = Restyled(view, monkeypatch)
    merged = curation.merge([a, b])
    session.replace_sorting(curation.sorting, selected_unit_ids=[merged])
    shown = view.contact_colors()
    assert sorted(restyled.channels) == sorted([channel_a, channel_b])
    # the new unit's channel is not known yet: the contacts stay faded, none lights up
    assert all(color.alpha() < 255 for color in shown.values())
    assert colors(view) == fresh_colors(qtbot, session)
    restyled.channels.clear()
    session.set_unit_channels({**session.unit_channel_ids, merged: channel_a})
    assert colors(view) == fresh_colors(qtbot, session)
    assert restyled.channels == [channel_a]
    assert view.contact_colors()[channel_a].alpha() == 255


def test_a_split_and_its_undo_restyle_the_units_contacts_once(qtbot, curated, monkeypatch):
    session, curation, view = curated
    unit = session.sorting.unit_ids.tolist()[4]
    channel = session.unit_channel_ids[unit]
    session.select_units([unit])
    view.contact_colors()
    restyled = Restyled(view, monkeypatch)
    count = curation.sorting.count_num_spikes_per_unit()[unit]
    parts = curation.split(unit, indices=[list(range(count // 2))])
    session.replace_sorting(curation.sorting, selected_unit_ids=parts)
    session.set_unit_channels({**session.unit_channel_ids, **dict.fromkeys(parts, channel)})
    assert colors(view) == fresh_colors(qtbot, session)
    # one restyle for the action and its channels (they came in the same event-loop turn)
    assert restyled.channels == [channel]
    restyled.channels.clear()
    curation.undo()
    session.replace_sorting(curation.sorting, selected_unit_ids=[unit])
    session.set_unit_channels({**session.unit_channel_ids, unit: channel})
    assert colors(view) == fresh_colors(qtbot, session)
    assert restyled.channels == [channel]
    assert view.contact_colors()[channel].rgba() == (
        view._theme.unit_color(session.unit_color_index(unit)).rgba()
    )


def test_nothing_changed_restyles_nothing(qtbot, curated, monkeypatch):
    session, _, view = curated
    session.select_units(session.sorting.unit_ids.tolist()[:3])
    view.contact_colors()
    restyled = Restyled(view, monkeypatch)
    session.set_hidden_units([])
    session.select_units(list(session.sorting.unit_ids.tolist()[:3]))
    view.contact_colors()
    assert restyled.channels == []
