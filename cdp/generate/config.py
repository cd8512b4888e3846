"""Public configuration and result types of the generator."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class NoiseConfig:
    """Rate per noise kind (0..1). The denominator of each rate is noted per field; the generator
    records the realised numerator and denominator in ``GenerateStats.noise`` /
    ``GenerateStats.noise_opportunities``."""

    # per emitted email value: upper/capitalised/leading or trailing whitespace
    email_case_whitespace: float = 0.05
    # per emitted phone value: a non-E.164 rendering (national, spaced, 00-prefix, landline style)
    phone_format: float = 0.15
    # per emitted first/last name value: one-character typo
    name_typo: float = 0.02
    # per customer: has a second email address that some systems (CRM, ESP, POS, support) use
    second_email: float = 0.05
    # per customer: fraction of customers living in a multi-person household (shared phone and/or device)
    household: float = 0.06
    # per web-active customer: uses a store kiosk / public computer shared with unrelated people
    shared_device: float = 0.03
    # per web-active account holder: anonymous sessions first, identify (+ alias) on a later session
    late_identification: float = 0.15
    # number of test accounts = round(rate * customers)
    test_accounts: float = 0.005
    # per emitted identifier field (email/phone outside shop accounts and web): a junk value
    junk_values: float = 0.02
    # per web/esp event: delivered twice (same messageId / event_id)
    duplicate_events: float = 0.01
    # per web event: receivedAt days after the event timestamp (lands in a later day file)
    late_events: float = 0.01
    # per record in web/esp JSONL, crm/loyalty CSV, pos receipts, support tickets
    malformed_rows: float = 0.002
    # per customer: changed phone number during the window (older records keep the old one)
    changed_phone: float = 0.03
    # per customer: an extra CRM contact typed in by hand that shares no clean identifier with the person's
    # other records (email with a typo, no phone, names with a typo or swapped): only probabilistic
    # matching (cdp/matching) can join it
    fuzzy_duplicate: float = 0.01

    @classmethod
    def none(cls) -> NoiseConfig:
        return cls(**{f.name: 0.0 for f in fields(cls)})

    @classmethod
    def kinds(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass
class GenerateStats:
    out_dir: str
    seed: int
    customers: int
    end_date: str
    days: int
    people: int = 0
    people_by_kind: dict[str, int] = field(default_factory=dict)
    # source -> path relative to out_dir -> records in that file (lines / rows / array items)
    files: dict[str, dict[str, int]] = field(default_factory=dict)
    # "source/table" -> records written (including malformed rows and duplicate deliveries)
    records: dict[str, int] = field(default_factory=dict)
    # noise kind -> injected count, and the number of opportunities it was rolled on
    noise: dict[str, int] = field(default_factory=dict)
    noise_opportunities: dict[str, int] = field(default_factory=dict)
    # source -> malformed rows / duplicate deliveries
    malformed: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    ground_truth_records: int = 0

    def noise_rate(self, kind: str) -> float:
        n = self.noise_opportunities.get(kind, 0)
        return self.noise.get(kind, 0) / n if n else 0.0

    def file_count(self, source: str) -> int:
        return len(self.files.get(source, {}))

    def __str__(self) -> str:
        lines = [
            (f"GenerateStats(out_dir={self.out_dir}, seed={self.seed}, customers={self.customers}, "
             f"end_date={self.end_date}, days={self.days})"),
            f"  people: {self.people} {self.people_by_kind}",
        ]
        for source, files in self.files.items():
            lines.append(f"  {source}: {len(files)} file(s), {sum(files.values())} records")
        lines.append("  records: " + ", ".join(f"{k}={v}" for k, v in self.records.items()))
        lines.append("  malformed: " + ", ".join(f"{k}={v}" for k, v in self.malformed.items()))
        lines.append("  duplicates: " + ", ".join(f"{k}={v}" for k, v in self.duplicates.items()))
        lines.append(
            "  noise: "
            + ", ".join(f"{k}={self.noise.get(k, 0)}/{self.noise_opportunities.get(k, 0)}" for k in self.noise)
        )
        lines.append(f"  ground truth records: {self.ground_truth_records}")
        return "\n".join(lines)
