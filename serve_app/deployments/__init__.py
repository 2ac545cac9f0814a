"""The Ray Serve deployments: Ingress, QueueWorker, Separator."""
