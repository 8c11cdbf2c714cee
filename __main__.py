"""container-platform: `pulumi up` builds the environment described by the selected stack."""
from components.program import main

main()
