"""The access surface: who can read each place a process's data can be read in clear, computed from a deployment's
synthesized CloudFormation templates (``templates``), its IAM, resource and KMS key policies (``policy``,
``evaluate``, ``managed``), what each kind of store needs for a read (``services``), the report model (``model``)
and the evaluation of a binding's stores (``surface``)."""
