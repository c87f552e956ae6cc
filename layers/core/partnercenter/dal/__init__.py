"""The data layer: the only code that imports boto3."""
