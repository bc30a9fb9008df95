"""The conformance suite: what a sender must do for KPR, how it is checked, and the senders."""
