"""What a coverage question is refused with (the API, the planner page, the statistics and the
CLI alike), as coded rules: English as the API has always answered, Thai in
registry_rules.po. Parameter names and codes stay as they are typed."""

from __future__ import annotations

from importers.messages import Rule

GIVE_A_TYPE = Rule("coverage.give_a_type", "parameter 'type': give one or more of %(choices)s")
NOT_A_TYPE = Rule("coverage.not_a_type", "parameter 'type': %(value)s is not one of %(choices)s")
NOT_A_LEVEL = Rule("coverage.not_a_level", "parameter 'level': %(value)s is not one of %(choices)s")
NOT_A_PROVINCE_CODE = Rule(
    "coverage.not_a_province_code",
    "parameter 'province': %(value)s is not a province code like TH50 or 50",
)
NEEDS_MINUTES = Rule(
    "coverage.needs_minutes",
    "parameter '%(name)s': travel time needs 'threshold_min' (minutes by road)",
)
KM_OR_MINUTES = Rule(
    "coverage.km_or_minutes",
    "give 'threshold_km' (straight-line distance) or 'threshold_min' (travel time), not both",
)
NOT_MINUTES = Rule(
    "coverage.not_minutes",
    "parameter 'threshold_min': %(value)s is not between 0 and %(high)s minutes (more than 0)",
)
NOT_A_K = Rule(
    "coverage.not_a_k", "parameter 'k': %(value)s is not a whole number from 1 to %(high)s"
)
NOT_A_CANDIDATE_KIND = Rule(
    "coverage.not_a_candidate_kind",
    "parameter 'candidates': %(value)s is not one of %(choices)s",
)
LEVEL_TOO_FINE = Rule(
    "coverage.level_too_fine",
    "parameter 'level': layer %(layer)s holds counts per %(finest)s, so it cannot answer by "
    "%(level)s; choose level %(finest)s or a coarser one",
)
NOT_A_PROVINCE = Rule(
    "coverage.not_a_province",
    "parameter 'province': %(value)s is not a province of the registry",
)
NO_ROADS = Rule(
    "coverage.no_roads",
    "no road network is loaded, so travel time cannot be answered; load one with "
    "'registry roads load FILE --name NAME' or ask by threshold_km",
)
PRIVATE_LAYER = Rule(
    "coverage.private_layer",
    "population layer %(layer)s is counted from survey records of real people; sign in to use "
    "it (public statistics are on /stats)",
)
NO_SUCH_LAYER = Rule(
    "coverage.no_such_layer", "there is no population layer %(name)s; layers: %(known)s"
)
NO_LAYER = Rule(
    "coverage.no_layer",
    "no population layer is loaded; run `registry demo` or `registry population load-...`",
)
NO_SUCH_ROADS = Rule("coverage.no_such_roads", "there is no road layer %(name)s; layers: %(known)s")
NONE_LOADED = Rule("coverage.none_loaded", "none loaded")
