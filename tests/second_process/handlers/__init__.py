"""The library-card task Lambdas (one module per task function, each exposing ``handler``)."""
