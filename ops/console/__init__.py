"""The command-centre console: a web page where a region's duty officers see and answer its deliveries."""

from ops.console.config import ConsoleSettings
from ops.console.officers import Officer, OfficerError, OfficerFile, Role
from ops.console.server import ConsoleServer

__all__ = ["ConsoleServer", "ConsoleSettings", "Officer", "OfficerError", "OfficerFile", "Role"]
