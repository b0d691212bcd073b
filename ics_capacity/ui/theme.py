"""The NHS identity: colours from the NHS England colour palette, type scale and shared styles.

Colours: https://www.england.nhs.uk/nhsidentity/identity-guidelines/colours/ . Text and link colours
are the NHS digital service manual's, which meet WCAG 2.2 AA contrast on white and pale grey.
"""

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_BRIGHT_BLUE = "#0072CE"
NHS_LIGHT_BLUE = "#41B6E6"
NHS_AQUA_GREEN = "#00A499"
NHS_GREEN = "#007F3B"
NHS_WARM_YELLOW = "#FFB81C"
NHS_RED = "#D5281B"
NHS_TEXT = "#212B32"
NHS_SECONDARY_TEXT = "#4C6272"
NHS_PALE_GREY = "#F0F4F5"
NHS_BORDER = "#D8DDE0"
NHS_WHITE = "#FFFFFF"
FOCUS_YELLOW = "#FFEB3B"

FONT_STACK = '"Frutiger W01", Arial, "Helvetica Neue", Helvetica, sans-serif'

BASE_STYLE = {
    "font_family": FONT_STACK,
    "color": NHS_TEXT,
    "background_color": NHS_PALE_GREY,
}
