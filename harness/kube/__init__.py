"""Helpers of the harness's ``kubernetes`` service (``harness/services/kubernetes.py``).

- :mod:`.pki`: the cluster CA, the API server's serving certificate and the service-account
  signing key pair (``cryptography``), written with mode 0600.
- :mod:`.supervisor`: the one tracked process that runs etcd, kube-apiserver,
  kube-controller-manager, kube-scheduler and kwok in its process group, in order.
"""
