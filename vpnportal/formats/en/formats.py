"""English: ISO-like stamps with the time zone, as the pages always showed them.

Only the PORTAL_* names are set: Django's own (DATETIME_FORMAT, ...) keep their defaults, so the admin
looks as it did. Templates pick one by name: `{{ when|date:"PORTAL_MINUTE_FORMAT" }}`.
"""

# A moment to the minute: 2026-12-03 15:04 UTC
PORTAL_MINUTE_FORMAT = "Y-m-d H:i T"
# A moment to the second: 2026-12-03 15:04:05 UTC
PORTAL_SECOND_FORMAT = "Y-m-d H:i:s T"
# Rows of one table that say the zone once, in a heading or a note: 2026-12-03 15:04:05
PORTAL_SECOND_NO_ZONE_FORMAT = "Y-m-d H:i:s"
# 2026-12-03 15:04
PORTAL_MINUTE_NO_ZONE_FORMAT = "Y-m-d H:i"
