"""The escalate processor: routine matches and reads that open special operations (专项), issue 14."""
