"""A live Playground draws few frames while no page shows it, redraws when one does again, and its first frame
says what it is about to do (headless: the page's "visible" messages are sent as view.js sends them)."""

from __future__ import annotations

import itertools

import pytest
from waiting import wait_for

import hlkit as hl
from hlkit.playground import Playground, runner
from hlkit.playground.view import LiveView


def say(view: LiveView, name: str, visible: bool, closed: bool = False) -> None:
    """What view.js sends when the view ``name`` scrolls in or out of sight (or is removed)."""
    view._on_message(view, {"type": "visible", "view": name, "visible": visible, "closed": closed}, [])


def test_watched_until_every_view_that_reported_is_off_screen():
    view, calls = LiveView(), []
    view.on_watch = calls.append
    assert view.watched                        # no page said anything (a kernel without a browser): watched
    say(view, "a", False)
    assert not view.watched and calls == [False]
    say(view, "b", True)                       # the same widget shown twice: one on screen is enough
    assert view.watched and calls == [False, True]
    say(view, "b", False)
    say(view, "a", True)
    assert view.watched and calls == [False, True, False, True]
    say(view, "a", False, closed=True)         # a closed view no longer counts; b is off screen
    assert not view.watched
    say(view, "b", False, closed=True)         # nobody left who could tell: watched, as at the start
    assert view.watched and calls[-1] is True
    for bad in ({"type": "visible", "view": 3, "visible": True}, {"type": "visible", "view": "c", "visible": "yes"},
                {"type": "visible"}, "visible", None):
        view._on_message(view, bad, [])        # malformed messages change nothing
    assert view.watched and len(calls) == 6


def test_the_first_frame_of_a_live_playground_says_training_not_paused():
    pg = Playground(epochs=100_000)
    try:
        assert "(training)" in pg.view.status and pg.view.frame >= 1
    finally:
        pg.close()


def test_frames_slow_down_off_screen_while_training_goes_on_and_come_back_on_screen():
    pg = Playground(epochs=100_000)
    try:
        wait_for(lambda: pg.history.epoch[-1] >= 20, 120)
        say(pg.view, "page", False)
        hidden_at = pg.frame_log[-1][0]
        epoch = pg.history.epoch[-1]
        wait_for(lambda: len([t for t, _ in pg.frame_log if t > hidden_at]) >= 4, 120)
        times = [t for t, _ in pg.frame_log if t > hidden_at]
        # the first frame may have been due before the message; from then on, one every UNWATCHED_FRAME_SECONDS
        # (logged as each frame ends: one slow frame makes one gap longer and the next shorter, so the mean)
        gaps = [b - a for a, b in itertools.pairwise(times[1:])]
        assert sum(gaps) / len(gaps) >= runner.UNWATCHED_FRAME_SECONDS * 0.8, gaps
        assert pg.history.epoch[-1] > epoch + 10                  # training went on meanwhile
        assert "(training)" in pg.view.status
        pg.pause()
        assert pg.wait(60)
        frame = pg.view.frame
        say(pg.view, "page", True)                                 # back on screen: the newest state is drawn
        wait_for(lambda: pg.view.frame > frame, 60)
        assert "(paused)" in pg.view.status
    finally:
        pg.close()


def test_an_off_screen_run_still_ends_on_its_final_frame():
    pg = Playground(epochs=300)
    say(pg.view, "page", False)
    try:
        assert pg.wait(120)
        assert pg.history.epoch[-1] == 300 and "epoch 300 of 300 (done)" in pg.view.status
        assert pg.frame.epoch == 300
    finally:
        pg.close()


@pytest.mark.parametrize("shown", [(), ("A",), ("loss",)])
def test_compare_is_watched_while_any_of_its_three_pictures_is_on_screen(shown):
    both = hl.compare(a=dict(hidden=[4]), b=dict(hidden=[4, 4]), epochs=100_000)
    try:
        views = {**both.views, "loss": both.loss_view}
        for name, view in views.items():
            say(view, "page", name in shown)
        assert both._runner.watched == bool(shown)
    finally:
        both.close()
