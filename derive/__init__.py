"""derive: a symbolic derivation verifier for the gradients of machine learning."""
