"""The load balancer's ARN read from its listener's (status saves a DescribeListeners)."""

from __future__ import annotations

from wpfleet.backends.aws.elbv2 import load_balancer_of

#: the formats of https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Listener.html
HEAD = "arn:aws:elasticloadbalancing:eu-west-1:123456789012"
LISTENER = f"{HEAD}:listener/app/sit-alb/50dc6c495c0c9188/f2f7dc8efc522ab2"
LB = f"{HEAD}:loadbalancer/app/sit-alb/50dc6c495c0c9188"


def test_load_balancer_of_a_listener() -> None:
    assert load_balancer_of(LISTENER) == LB


def test_not_a_listener_arn_is_none() -> None:
    assert load_balancer_of(LB) is None
    assert load_balancer_of("") is None
    assert load_balancer_of(LISTENER.rsplit("/", 1)[0]) is None
