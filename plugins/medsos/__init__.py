"""medsos: weekly evaluation of KPU offices social-media accounts."""
