"""HTTP plumbing shared by every package's routes: schemas, problems, paging, headers."""
