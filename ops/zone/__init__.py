"""Zones: read a zone file, plan its topics, identities and ACLs, and apply the plan to a cluster."""

from ops.zone.apply import ApplyReport, apply_zone
from ops.zone.file import ZoneFileError, load_zone_file
from ops.zone.plan import AclRule, ZonePlan, plan_zone

__all__ = ["AclRule", "ApplyReport", "ZoneFileError", "ZonePlan", "apply_zone", "load_zone_file", "plan_zone"]
