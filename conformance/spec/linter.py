from dataclasses import dataclass
@dataclass(frozen=True)
class Finding: pass
def lint(specs): return []
