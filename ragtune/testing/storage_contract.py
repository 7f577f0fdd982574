"""The contract every storage backend passes, as a test class to subclass.

::

    from ragtune.testing import StorageContract

    class TestMyStorage(StorageContract):
        def make_storage(self):
            return MyStorage(...)

        def reopen_storage(self, storage):  # optional: a new handle on the same data
            storage.close()
            return MyStorage(...)

Study names are unique per test, so the contract can run against a shared server. Storages made
by :meth:`make_storage` and :meth:`reopen_storage` are closed after each test.
"""

from __future__ import annotations

import abc
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from ragtune.core.directions import StudyDirection
from ragtune.core.distributions import (
    AnyDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.study import create_study, load_study
from ragtune.core.trial import Trial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import (
    DuplicatedStudyError,
    StudyNotFound,
    TrialNotFound,
    UpdateFinishedTrialError,
    ValidationError,
)
from ragtune.samplers.random_sampler import RandomSampler
from ragtune.storage.base import Storage

__all__ = ["StorageContract"]

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE
FLOAT = FloatDistribution(low=0.0, high=1.0)
FLOAT_LOG = FloatDistribution(low=1e-4, high=1.0, log=True)
FLOAT_STEP = FloatDistribution(low=0.0, high=1.0, step=0.25)
INT = IntDistribution(low=64, high=1024, step=64)
CHOICES = CategoricalDistribution(choices=(None, True, 3, 0.5, "bm25"))


class StorageContract(abc.ABC):
    """Studies, trials, immutability, ordering and thread safety, checked through the Storage API."""

    @abc.abstractmethod
    def make_storage(self) -> Storage:
        """A storage for one test (it may hold other studies: names here are unique)."""

    def reopen_storage(self, storage: Storage) -> Storage | None:
        """A new storage object on the same data, or None when the backend keeps nothing."""
        return None

    # -- plumbing --------------------------------------------------------------------------
    def setup_method(self) -> None:
        self._opened: list[Storage] = []

    def teardown_method(self) -> None:
        for s in reversed(getattr(self, "_opened", [])):
            s.close()

    def storage(self) -> Storage:
        s = self.make_storage()
        self._opened.append(s)
        return s

    def reopen(self, storage: Storage) -> Storage:
        again = self.reopen_storage(storage)
        if again is None:
            pytest.skip("this backend keeps nothing once closed")
        self._opened.append(again)
        return again

    @staticmethod
    def name(stem: str = "study") -> str:
        return f"contract-{stem}-{uuid.uuid4().hex[:10]}"

    def study(self, s: Storage, directions: tuple[StudyDirection, ...] = (MIN,)) -> int:
        return s.create_new_study(directions, self.name())

    @staticmethod
    def finish(s: Storage, sid: int, value: float = 1.0, **params: float) -> FrozenTrial:
        t = s.create_new_trial(sid)
        for k, v in params.items():
            s.set_trial_param(t.trial_id, k, v, FLOAT)
        return s.finish_trial(t.trial_id, TrialState.COMPLETE, (value,))

    # -- studies ---------------------------------------------------------------------------
    def test_create_and_find_study(self) -> None:
        s = self.storage()
        name = self.name()
        sid = s.create_new_study((MAX, MIN), name)
        assert s.get_study_id_from_name(name) == sid
        assert s.get_study_name_from_id(sid) == name
        assert s.get_study_directions(sid) == (MAX, MIN)
        summary = next(x for x in s.get_all_studies() if x.study_id == sid)
        assert (summary.study_name, summary.directions, summary.n_trials) == (name, (MAX, MIN), 0)

    def test_duplicate_and_unknown_studies_are_reported(self) -> None:
        s = self.storage()
        name = self.name()
        s.create_new_study((MIN,), name)
        with pytest.raises(DuplicatedStudyError, match="exists already"):
            s.create_new_study((MAX,), name)
        with pytest.raises(StudyNotFound, match="no study named 'contract-missing"):
            s.get_study_id_from_name(self.name("missing"))
        for call in (
            lambda: s.get_study_name_from_id(-5),
            lambda: s.get_study_directions(-5),
            lambda: s.get_all_trials(-5),
            lambda: s.create_new_trial(-5),
            lambda: s.read_trials_since(-5, 0),
        ):
            with pytest.raises(StudyNotFound, match="no study with id -5"):
                call()

    def test_delete_study_removes_its_trials_only(self) -> None:
        s = self.storage()
        keep, drop = self.study(s), self.study(s)
        self.finish(s, keep)
        gone = self.finish(s, drop)
        name = s.get_study_name_from_id(drop)
        s.delete_study(drop)
        with pytest.raises(StudyNotFound):
            s.get_study_id_from_name(name)
        with pytest.raises(TrialNotFound):
            s.get_trial(gone.trial_id)
        assert len(s.get_all_trials(keep)) == 1

    def test_study_attrs_round_trip(self) -> None:
        s = self.storage()
        a, b = self.study(s), self.study(s)
        value: Any = {"k": [1, 2.5, "x", None, True], "n": {"deep": 1}}
        s.set_study_user_attr(a, "cfg", value)
        s.set_study_user_attr(a, "cfg", "overwritten")
        s.set_study_system_attr(a, "sys", value)
        assert s.get_study_user_attrs(a) == {"cfg": "overwritten"}
        assert s.get_study_system_attrs(a) == {"sys": value}
        assert s.get_study_user_attrs(b) == {} and s.get_study_system_attrs(b) == {}

    # -- trials ----------------------------------------------------------------------------
    def test_new_trials_are_running_and_numbered_from_zero(self) -> None:
        s = self.storage()
        sid = self.study(s)
        trials = [s.create_new_trial(sid) for _ in range(3)]
        assert [t.number for t in trials] == [0, 1, 2]
        assert len({t.trial_id for t in trials}) == 3
        assert all(t.state is TrialState.RUNNING and t.datetime_start is not None for t in trials)
        assert [s.get_trial_id_from_number(sid, n) for n in range(3)] == [t.trial_id for t in trials]
        with pytest.raises(TrialNotFound, match="no trial number 7"):
            s.get_trial_id_from_number(sid, 7)
        s.record_heartbeat(trials[0].trial_id)  # live trials are never stale
        assert s.fail_stale_trials(sid) == []
        assert s.get_trial(trials[0].trial_id).state is TrialState.RUNNING

    def test_params_keep_values_and_distributions(self) -> None:
        s = self.storage()
        sid = self.study(s)
        t = s.create_new_trial(sid)
        given: dict[str, tuple[float, AnyDistribution]] = {
            "f": (0.125, FLOAT),
            "lr": (3e-3, FLOAT_LOG),
            "q": (0.75, FLOAT_STEP),
            "k": (512.0, INT),
        }
        for name, (internal, dist) in given.items():
            s.set_trial_param(t.trial_id, name, internal, dist)
        for i, _ in enumerate(CHOICES.choices):
            s.set_trial_param(t.trial_id, f"c{i}", float(i), CHOICES)
        got = s.get_trial(t.trial_id)
        assert got.params["f"] == 0.125 and got.params["lr"] == 3e-3 and got.params["q"] == 0.75
        assert got.params["k"] == 512 and isinstance(got.params["k"], int)
        for i, choice in enumerate(CHOICES.choices):
            assert got.params[f"c{i}"] == choice and type(got.params[f"c{i}"]) is type(choice)
            assert got.distributions[f"c{i}"] == CHOICES
        assert got.distributions["lr"] == FLOAT_LOG and got.distributions["k"] == INT

    def test_reports_attrs_and_constraints(self) -> None:
        s = self.storage()
        sid = self.study(s, (MAX, MIN))
        t = s.create_new_trial(sid)
        s.set_trial_intermediate_value(t.trial_id, 1, (0.5, 2.0), ((0.4, 1.0), (0.6, 3.0)))
        s.set_trial_intermediate_value(t.trial_id, 3, (0.7,))
        s.set_trial_user_attr(t.trial_id, "note", {"a": [1, 2]})
        s.set_trial_system_attr(t.trial_id, "fixed_params", {"k": 3})
        s.set_trial_constraints(t.trial_id, (-1.0, 0.5))
        done = s.finish_trial(t.trial_id, TrialState.COMPLETE, (0.8, 1.5))
        for got in (done, s.get_trial(t.trial_id)):
            assert dict(got.intermediate_values) == {1: (0.5, 2.0), 3: 0.7}
            assert dict(got.intermediate_vectors) == {1: (0.5, 2.0), 3: (0.7,)}
            assert dict(got.intermediate_scores) == {1: ((0.4, 1.0), (0.6, 3.0))}
            assert dict(got.user_attrs) == {"note": {"a": [1, 2]}}
            assert dict(got.system_attrs) == {"fixed_params": {"k": 3}}
            assert got.constraints == (-1.0, 0.5) and not got.feasible
            assert got.values == (0.8, 1.5) and got.state is TrialState.COMPLETE

    def test_values_are_json_on_every_backend(self) -> None:
        s = self.storage()
        sid = self.study(s)
        t = s.create_new_trial(sid)
        s.set_trial_user_attr(t.trial_id, "pair", (1, "a"))  # kept as JSON keeps it: a list
        s.set_study_user_attr(sid, "pair", (2, "b"))
        assert s.get_trial(t.trial_id).user_attrs["pair"] == [1, "a"]
        assert s.get_study_user_attrs(sid)["pair"] == [2, "b"]
        bad: list[Callable[[], object]] = [
            lambda: s.set_trial_user_attr(t.trial_id, "obj", object()),
            lambda: s.set_trial_system_attr(t.trial_id, "obj", {1, 2}),
            lambda: s.set_study_user_attr(sid, "obj", object()),
            lambda: s.set_study_system_attr(sid, "obj", b"raw"),
            lambda: s.create_new_trial(
                sid, FrozenTrial(number=-1, state=TrialState.WAITING, user_attrs={"obj": object()})
            ),
        ]
        for call in bad:
            with pytest.raises(ValidationError, match=r"attr 'obj' must be JSON-serialisable .* convert it"):
                call()
        assert "obj" not in s.get_trial(t.trial_id).user_attrs and "obj" not in s.get_study_user_attrs(sid)
        assert s.get_n_trials(sid) == 1

    def test_running_trial_is_stored_as_each_write_returns(self) -> None:
        s = self.storage()
        name = self.name()
        sid = s.create_new_study((MIN,), name)
        t = s.create_new_trial(sid)
        s.set_trial_param(t.trial_id, "f", 0.125, FLOAT)
        s.set_trial_user_attr(t.trial_id, "note", "u")
        s.set_trial_system_attr(t.trial_id, "sys", [1])
        s.set_trial_param(t.trial_id, "f", 0.25, FLOAT)  # written again: the last value counts
        s.set_trial_user_attr(t.trial_id, "note", "v")
        s.set_trial_constraints(t.trial_id, (0.5,))
        again = self.reopen(s)
        running = again.get_trial(again.get_trial_id_from_number(again.get_study_id_from_name(name), 0))
        # A single-writer file reopened finds the trial's process gone and fails it; params stay.
        assert running.state in (TrialState.RUNNING, TrialState.FAIL)
        assert running.params == {"f": 0.25} and running.distributions == {"f": FLOAT}
        assert running.user_attrs == {"note": "v"} and running.system_attrs == {"sys": [1]}
        assert running.constraints == (0.5,)

    def test_finish_records_state_reason_and_time(self) -> None:
        s = self.storage()
        sid = self.study(s)
        ok, pruned, failed = (s.create_new_trial(sid) for _ in range(3))
        a = s.finish_trial(ok.trial_id, TrialState.COMPLETE, (2.5,))
        b = s.finish_trial(pruned.trial_id, TrialState.PRUNED)
        c = s.finish_trial(failed.trial_id, TrialState.FAIL, fail_reason="ValueError: boom")
        assert (a.state, a.values, a.fail_reason) == (TrialState.COMPLETE, (2.5,), None)
        assert (b.state, b.values) == (TrialState.PRUNED, None)
        assert (c.state, c.values, c.fail_reason) == (TrialState.FAIL, None, "ValueError: boom")
        for got in (a, b, c):
            assert got.datetime_complete is not None and got.duration is not None
            assert s.get_trial(got.trial_id).fail_reason == got.fail_reason

    def test_finished_trial_cannot_change(self) -> None:
        s = self.storage()
        sid = self.study(s)
        t = s.create_new_trial(sid)
        s.finish_trial(t.trial_id, TrialState.COMPLETE, (1.0,))
        writes = (
            lambda: s.set_trial_param(t.trial_id, "x", 0.5, FLOAT),
            lambda: s.set_trial_intermediate_value(t.trial_id, 0, (1.0,)),
            lambda: s.set_trial_user_attr(t.trial_id, "k", 1),
            lambda: s.set_trial_system_attr(t.trial_id, "k", 1),
            lambda: s.set_trial_constraints(t.trial_id, (0.0,)),
            lambda: s.finish_trial(t.trial_id, TrialState.FAIL),
        )
        for write in writes:
            with pytest.raises(UpdateFinishedTrialError, match="trial 0 is already COMPLETE"):
                write()
        assert s.get_trial(t.trial_id).values == (1.0,)

    def test_unknown_trial_is_reported(self) -> None:
        s = self.storage()
        missing = 10**12
        for call in (
            lambda: s.get_trial(missing),
            lambda: s.set_trial_param(missing, "x", 0.5, FLOAT),
            lambda: s.finish_trial(missing, TrialState.COMPLETE, (1.0,)),
        ):
            with pytest.raises(TrialNotFound, match=f"no trial with id {missing}"):
                call()

    def test_snapshots_never_change(self) -> None:
        s = self.storage()
        sid = self.study(s)
        t = s.create_new_trial(sid)
        s.set_trial_user_attr(t.trial_id, "l", [1])
        before = s.get_trial(t.trial_id)
        s.set_trial_param(t.trial_id, "x", 0.5, FLOAT)
        s.set_trial_user_attr(t.trial_id, "l", [1, 2])
        done = s.finish_trial(t.trial_id, TrialState.COMPLETE, (1.0,))
        assert t.params == {} and before.params == {} and before.user_attrs == {"l": [1]}
        assert before.state is TrialState.RUNNING and done.params == {"x": 0.5}

    def test_waiting_trials_are_claimed_oldest_first(self) -> None:
        s = self.storage()
        sid = self.study(s)
        assert s.claim_waiting_trial(sid) is None
        for k in (1, 2):
            queued = FrozenTrial(number=-1, state=TrialState.WAITING, system_attrs={"fixed_params": {"k": k}})
            made = s.create_new_trial(sid, queued)
            assert made.state is TrialState.WAITING and made.datetime_start is None
        s.create_new_trial(sid)
        first = s.claim_waiting_trial(sid)
        second = s.claim_waiting_trial(sid)
        assert first is not None and second is not None and s.claim_waiting_trial(sid) is None
        assert (first.number, second.number) == (0, 1)
        assert first.state is TrialState.RUNNING and first.datetime_start is not None
        assert first.system_attrs["fixed_params"] == {"k": 1}
        assert s.get_trial(first.trial_id).state is TrialState.RUNNING

    def test_add_finished_trial(self) -> None:
        s = self.storage()
        sid = self.study(s)
        old = FrozenTrial(
            number=-1,
            state=TrialState.COMPLETE,
            values=(0.25,),
            params={"x": 0.5, "c": "bm25"},
            distributions={"x": FLOAT, "c": CHOICES},
            user_attrs={"source": "earlier run"},
        )
        made = s.create_new_trial(sid, old)
        got = s.get_trial(made.trial_id)
        assert got.state is TrialState.COMPLETE and got.values == (0.25,)
        assert dict(got.params) == {"x": 0.5, "c": "bm25"} and got.user_attrs == {"source": "earlier run"}
        assert got.datetime_start is not None and got.datetime_complete is not None
        assert [t.trial_id for t in s.read_trials_since(sid, 0).finished] == [made.trial_id]

    def test_listing_orders_by_number_and_filters_states(self) -> None:
        s = self.storage()
        sid = self.study(s)
        ids = [s.create_new_trial(sid).trial_id for _ in range(4)]
        s.finish_trial(ids[2], TrialState.COMPLETE, (1.0,))
        s.finish_trial(ids[0], TrialState.FAIL)
        all_trials = s.get_all_trials(sid)
        assert [t.number for t in all_trials] == [0, 1, 2, 3]
        assert [t.number for t in s.get_all_trials(sid, states=(TrialState.COMPLETE,))] == [2]
        assert s.get_n_trials(sid) == 4
        assert s.get_n_trials(sid, states=(TrialState.RUNNING,)) == 2
        assert s.get_n_trials(sid, states={TrialState.FAIL, TrialState.COMPLETE}) == 2

    def test_read_trials_since_returns_finishing_order(self) -> None:
        s = self.storage()
        sid = self.study(s)
        t = [s.create_new_trial(sid) for _ in range(4)]
        empty = s.read_trials_since(sid, 0)
        assert empty.finished == [] and [x.number for x in empty.unfinished] == [0, 1, 2, 3]
        s.finish_trial(t[2].trial_id, TrialState.COMPLETE, (1.0,))
        s.finish_trial(t[0].trial_id, TrialState.PRUNED)
        first = s.read_trials_since(sid, empty.cursor)
        assert [x.number for x in first.finished] == [2, 0]
        assert [x.number for x in first.unfinished] == [1, 3]
        s.finish_trial(t[3].trial_id, TrialState.COMPLETE, (2.0,))
        second = s.read_trials_since(sid, first.cursor)
        assert [x.number for x in second.finished] == [3] and second.cursor > first.cursor
        assert [x.number for x in s.read_trials_since(sid, 0).finished] == [2, 0, 3]
        again = s.read_trials_since(sid, second.cursor)
        assert again.finished == [] and again.cursor == second.cursor

    def test_threads_get_unique_gap_free_numbers(self) -> None:
        s = self.storage()
        sid = self.study(s)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(15):
                    t = s.create_new_trial(sid)
                    s.set_trial_param(t.trial_id, "x", 0.5, FLOAT)
                    s.read_trials_since(sid, 0)
                    s.finish_trial(t.trial_id, TrialState.COMPLETE, (float(t.number),))
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        trials = s.get_all_trials(sid)
        assert [t.number for t in trials] == list(range(90))
        assert all(t.values == (float(t.number),) for t in trials)
        assert len(s.read_trials_since(sid, 0).finished) == 90

    # -- through the Study API -------------------------------------------------------------
    def test_study_runs_on_this_storage(self) -> None:
        s = self.storage()
        name = self.name()
        study = create_study(storage=s, study_name=name, sampler=RandomSampler(seed=1))
        study.enqueue_trial({"x": 0.25, "kind": "bm25"})

        def objective(trial: Trial) -> float:
            x = trial.suggest_float("x", 0.0, 1.0)
            kind = trial.suggest_categorical("kind", ["bm25", "dense"])
            trial.report(x, 0)
            return x + (0.0 if kind == "bm25" else 0.5)

        study.optimize(objective, n_trials=12, n_jobs=2)
        assert study.trials[0].params == {"x": 0.25, "kind": "bm25"}
        again = load_study(study_name=name, storage=s)
        assert len(again.trials) == 12 and again.best_value == study.best_value
        assert sorted(t.number for t in again.trials) == list(range(12))

    def test_reopened_storage_has_everything(self) -> None:
        s = self.storage()
        name = self.name()
        sid = s.create_new_study((MAX,), name)
        s.set_study_user_attr(sid, "dataset", "fiqa")
        done = self.finish(s, sid, 0.75, x=0.5)
        queued = FrozenTrial(number=-1, state=TrialState.WAITING, system_attrs={"fixed_params": {"x": 1}})
        s.create_new_trial(sid, queued)
        t = s.create_new_trial(sid)
        s.set_trial_intermediate_value(t.trial_id, 2, (0.1,))
        s.finish_trial(t.trial_id, TrialState.PRUNED)
        again = self.reopen(s)
        sid2 = again.get_study_id_from_name(name)
        assert again.get_study_directions(sid2) == (MAX,)
        assert again.get_study_user_attrs(sid2) == {"dataset": "fiqa"}
        trials = again.get_all_trials(sid2)
        assert [x.state for x in trials] == [TrialState.COMPLETE, TrialState.WAITING, TrialState.PRUNED]
        assert trials[0].values == (0.75,) and trials[0].params == {"x": 0.5} == done.params
        assert trials[1].system_attrs == {"fixed_params": {"x": 1}}
        assert dict(trials[2].intermediate_values) == {2: 0.1}
        assert [x.number for x in again.read_trials_since(sid2, 0).finished] == [0, 2]
        claimed = again.claim_waiting_trial(sid2)
        assert claimed is not None and claimed.number == 1
        assert again.create_new_trial(sid2).number == 3
