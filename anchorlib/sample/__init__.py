"""The synthetic City & Hackney sample: ``generator.write_sample`` (``anchorlib sample``)."""
