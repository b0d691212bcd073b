"""Chart colours from the NHS identity palette.

The order (blue, warm yellow, aqua green, dark pink) stays distinct for colour-blind readers.
"""

SCENARIO_COLOURS = ["#005EB8", "#FFB81C", "#00A499", "#AE2573"]
