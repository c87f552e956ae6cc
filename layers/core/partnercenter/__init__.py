"""partnercenter: the members' personal data from signup to destruction, as the policy promises."""
