"""Distribution: the release bundle, numbered copies, signatures and the edition diff."""
