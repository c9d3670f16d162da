"""Evidence bundles: everything the runbook's "Preserve Evidence" step asks for, in one BagIt zip.

``export.export(target, ...)`` writes a bundle; ``bagit.verify_zip(path)`` checks one. Redaction
(``redact.py``) is on by default for every file in the bundle.
"""
