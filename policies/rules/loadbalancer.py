"""ALB: HTTPS only (HTTPS listeners with a certificate; HTTP listeners only redirect to HTTPS), for
ALBs of the program (listeners) and of the AWS Load Balancer Controller (Ingresses of class alb).

Source: seed 001 §6 Security Checklist ("Use SSL/TLS termination at load balancer"), issue 3
Load balancer ("HTTP 80 redirected to HTTPS 443 with the certificate ARN from config"),
Elastic Load Balancing "Listeners for your Application Load Balancers" and "Redirect actions".
"""

from __future__ import annotations

from ..registry import NotApplicable, ResourceInput, Rule

LISTENER_TYPES = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")


class AlbHttpsOnly(Rule):
    """``alb-https-only``: ALB listeners serve HTTPS with a certificate; an HTTP listener only redirects to
    HTTPS."""

    name = "alb-https-only"
    description = "ALB listeners serve HTTPS with a certificate; an HTTP listener only redirects to HTTPS."
    level = "mandatory"
    category = "encryption"
    resource_types = LISTENER_TYPES
    source = "seed 001 §6; issue 3 Load balancer; ELB 'Listeners for your Application Load Balancers'"

    def check(self, res: ResourceInput) -> list[str]:
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


INGRESS_TYPES = ("kubernetes:networking.k8s.io/v1:Ingress",)
_ALB = "alb.ingress.kubernetes.io/"


class AlbIngressHttpsOnly(Rule):
    """``alb-ingress-https-only``: An Ingress of class alb (AWS Load Balancer Controller) listens on HTTPS
    with an ACM certificate; its HTTP listener only redirects to HTTPS."""

    name = "alb-ingress-https-only"
    description = ("An Ingress of class alb (AWS Load Balancer Controller) listens on HTTPS with an ACM certificate; "
                   "its HTTP listener only redirects to HTTPS.")
    level = "mandatory"
    category = "encryption"
    resource_types = INGRESS_TYPES
    source = ("seed 001 §3.3, §6; AWS Load Balancer Controller 'Ingress annotations' (listen-ports, "
              "certificate-arn, ssl-redirect)")

    def check(self, res: ResourceInput) -> list[str]:
        """Ingresses of another class are out of scope. ``listen-ports`` (default HTTP 80) must
        contain an HTTPS port, ``certificate-arn`` must be an ACM ARN, and when an HTTP port is
        listened on, ``ssl-redirect`` must name one of the HTTPS ports."""
        import json

        cls = res.get("spec", "ingressClassName") or res.get("metadata", "annotations", "kubernetes.io/ingress.class")
        if cls != "alb":
            raise NotApplicable()
        ann = res.get("metadata", "annotations", default={}) or {}
        try:
            ports = json.loads(ann.get(_ALB + "listen-ports") or '[{"HTTP": 80}]')
            pairs = [(str(proto).upper(), int(port)) for entry in ports for proto, port in entry.items()]
        except (ValueError, TypeError, AttributeError):
            return [f"metadata.annotations.{_ALB}listen-ports is not a JSON list of {{PROTOCOL: port}}"]
        https = [p for proto, p in pairs if proto == "HTTPS"]
        out = []
        if not https:
            out.append(f"metadata.annotations.{_ALB}listen-ports has no HTTPS port")
        cert = str(ann.get(_ALB + "certificate-arn") or "")
        if https and not all(c.startswith("arn:aws") and ":acm:" in c for c in cert.split(",")):
            out.append(f"metadata.annotations.{_ALB}certificate-arn is not an ACM certificate ARN")
        if any(proto == "HTTP" for proto, _ in pairs) and str(ann.get(_ALB + "ssl-redirect") or "") not in map(str, https):
            out.append(f"HTTP listener without metadata.annotations.{_ALB}ssl-redirect to an HTTPS port")
        return out


#: This module's rules, in report order.
RULES: tuple[type[Rule], ...] = (AlbHttpsOnly, AlbIngressHttpsOnly)
