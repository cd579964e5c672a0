"""Synth-time compliance gates: cdk-nag packs, acknowledgements and the compliance report."""
