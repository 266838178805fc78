"""ALB: HTTPS only (HTTPS listeners with a certificate; HTTP listeners only redirect to HTTPS).

Source: seed 001 §6 Security Checklist ("Use SSL/TLS termination at load balancer"), issue 3
Load balancer ("HTTP 80 redirected to HTTPS 443 with the certificate ARN from config"),
Elastic Load Balancing "Listeners for your Application Load Balancers" and "Redirect actions".
"""

from __future__ import annotations

from ..registry import NotApplicable, ResourceInput, rule

LISTENER_TYPES = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")


@rule("alb-https-only",
      description="ALB listeners serve HTTPS with a certificate; an HTTP listener only redirects to HTTPS.",
      level="mandatory", resource_types=LISTENER_TYPES,
      source="seed 001 §6; issue 3 Load balancer; ELB 'Listeners for your Application Load Balancers'")
def alb_https_only(res: ResourceInput) -> list[str]:
    """HTTPS: needs ``certificateArn``. HTTP: every default action must be a ``redirect`` with
    ``protocol: HTTPS``. TCP/TLS/UDP listeners (network load balancers) are out of scope."""
    protocol = str(res.props.get("protocol") or "HTTP").upper()
    port = res.props.get("port")
    if protocol == "HTTPS":
        return [] if res.props.get("certificateArn") else [f"HTTPS listener on port {port} has no certificateArn"]
    if protocol != "HTTP":
        raise NotApplicable()
    actions = res.props.get("defaultActions") or []
    if actions and all(str(a.get("type")) == "redirect" and
                       str((a.get("redirect") or {}).get("protocol", "")).upper() == "HTTPS" for a in actions):
        return []
    return [f"HTTP listener on port {port} does not redirect to HTTPS (defaultActions)"]
