"""Real-service plug-ins, one module per service; see harness.base.ServiceSpec."""
