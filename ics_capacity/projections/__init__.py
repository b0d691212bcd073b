"""Waiting-list projections, queue measures and forecasts: numpy/pandas in, DataFrames out.

- `inputs`: the typed projection input (`ProjectionInput`, `ResourcePools`) and builders from
  frames shaped like the database tables.
- `cohort`: the weekly cohort model by provider x treatment function x wait band
  (`project`, `simulate` for Monte Carlo bands).
- `queue_kpis`: NHSRwaitinglist's queue measures, the capacity needed to meet a target by a
  week, and RAG status against the RTT targets.
- `forecast`: calibration from monthly flows and the waiting-list forecast with its backtest.

Nothing here reads the database or the UI (docs/projections.md describes the methods).
"""
