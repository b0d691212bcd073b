"""Plans made without the optimiser, reported beside it: by hand, and with no collaboration.

* `greedy_flows`: each week, lists are served in turn by their longest waiter (clinical-priority
  patients first); each list fills the nearest site with room first, then the next nearest, and
  within a list the longest waiters go first.
* `own_site_arcs`: the ways of treating patients when every trust treats only its own patients at
  its own sites; `model.solve_rebalance` optimises over these arcs for the "no collaboration"
  baseline, so it is each trust's best plan on its own.
"""

from __future__ import annotations

import numpy as np

from solvers.rebalance.schema import Prepared


def own_site_arcs(prep: Prepared) -> list[int]:
    """Arcs from each provider's list to the sites that provider runs."""
    return [a for a, arc in enumerate(prep.arcs) if arc.own_site]


def greedy_flows(prep: Prepared) -> np.ndarray:
    """Weekly patients per (stream, arc) pair of `prep.pairs()`, filled nearest site first.

    Returns:
        Array of shape (pairs, weeks): patients of each pair treated in each week.
    """
    pairs = prep.pairs()
    pair_index = {pair: i for i, pair in enumerate(pairs)}
    weeks = prep.weeks
    flows = np.zeros((len(pairs), weeks))
    arc_order = [
        sorted(arcs, key=lambda a: (prep.arcs[a].travel_minutes, not prep.arcs[a].own_site, a))
        for arcs in prep.arcs_of_queue
    ]
    # Resource use per case, per arc: [(resource id, use per case), ...] for the arc's hub.
    use_of_arc = []
    for arc in prep.arcs:
        tfc = prep.queue_tfc[arc.queue]
        use_of_arc.append(
            [
                (r, float(prep.resources[r].per_case[tfc]))
                for r in prep.resources_of_hub[arc.hub]
                if prep.resources[r].per_case[tfc] > 0
            ]
        )
    cohorts = [stream.cohorts(weeks) for stream in prep.streams]
    cumulative = [np.cumsum(sizes) for sizes, _ in cohorts]
    treated = np.zeros(len(prep.streams))
    for week in range(weeks):
        room = [float(r.capacity_by_week[week]) for r in prep.resources]
        oldest = []
        for s, stream in enumerate(prep.streams):
            waiting = stream.arrived_by(week) - treated[s]
            if waiting <= 1e-9:
                continue
            first = int(np.searchsorted(cumulative[s], treated[s] + 1e-9, side="right"))
            first = min(first, len(cohorts[s][1]) - 1)
            oldest.append((not stream.priority, -(cohorts[s][1][first] + week), s, waiting))
        for _, _, s, waiting in sorted(oldest):
            need = waiting
            for a in arc_order[prep.streams[s].queue]:
                fits = min(
                    (room[r] / use for r, use in use_of_arc[a]),
                    default=need,
                )
                take = min(need, max(0.0, fits))
                if take <= 1e-9:
                    continue
                flows[pair_index[(s, a)], week] += take
                for r, use in use_of_arc[a]:
                    room[r] = max(0.0, room[r] - take * use)
                need -= take
                if need <= 1e-9:
                    break
            treated[s] += waiting - max(need, 0.0)
    return flows
