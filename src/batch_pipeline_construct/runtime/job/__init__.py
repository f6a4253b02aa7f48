"""The job container's side: the job contract, manifests and the job resolver."""
