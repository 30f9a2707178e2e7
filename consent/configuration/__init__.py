"""Configuration files a region writes by hand: read with errors that say what to fix."""

from consent.configuration.yaml_files import ConfigurationFile, describe_problem

__all__ = ["ConfigurationFile", "describe_problem"]
