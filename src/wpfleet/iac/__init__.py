"""``wpfleet tf export``: Terraform modules and one root module per tenant and
environment, generated from the fleet file. Pure: no backend, no state."""
