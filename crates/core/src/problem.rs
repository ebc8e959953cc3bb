//! What was wrong with an input, field by field: the one validation-problem type every rule
//! returns. A problem names its field, a message key with arguments (pages show
//! `problem-{key}` in the reader's language) and the same message in English (the API's words).

use serde::Serialize;

string_enum! {
    /// What a problem says, as a key for translation at the edge.
    ProblemKey {
        Required = "required",
        TooLong = "too_long",
        Control = "control",
        OneOf = "one_of",
        NotOneOf = "not_one_of",
        InFuture = "in_future",
        DateTime = "date_time",
        TimeFormat = "time_format",
        WholeNumber = "whole_number",
        YesNo = "yes_no",
        ChooseOne = "choose_one",
        AwareBeforeOccurred = "aware_before_occurred",
        ReactionTooMild = "reaction_too_mild",
        StepOutOfOrder = "step_out_of_order",
        UnknownStep = "unknown_step",
        Closed = "closed",
        MovedOn = "moved_on",
        MeasuresNone = "measures_none",
        MeasuresTooMany = "measures_too_many",
        MeasureDescription = "measure_description",
        MeasureOwner = "measure_owner",
        MeasureDeadlineNotDate = "measure_deadline_not_date",
        MeasureDeadlinePassed = "measure_deadline_passed",
        CloseNeedsNotice = "close_needs_notice",
        CloseNeedsSubjectDecision = "close_needs_subject_decision",
        StageChoose = "stage_choose",
        ApproxNumber = "approx_number",
        SentBeforeAware = "sent_before_aware",
        DelayReason = "delay_reason",
        ExemptionWithNotice = "exemption_with_notice",
        ExemptionChoose = "exemption_choose",
        DurationWeek = "duration_week",
        OrgNumber = "org_number",
        BasisReasonRequired = "basis_reason_required",
        DisclosedRequired = "disclosed_required",
        DisclosedOnly = "disclosed_only",
        IdNamespace = "id_namespace",
        IdInvalid = "id_invalid",
        IdCheckDigit = "id_check_digit",
        PeriodOrder = "period_order",
        PeriodTimes = "period_times",
        RoleRequired = "role_required",
        JustificationRequired = "justification_required",
        Date = "date",
        Link = "link",
        ChooseFile = "choose_file",
        FileTooLarge = "file_too_large",
        FileType = "file_type",
        FileEmpty = "file_empty",
        FileUnreadable = "file_unreadable",
        NoSheet = "no_sheet",
        UnknownColumn = "unknown_column",
        ColumnTwice = "column_twice",
        ColumnMissing = "column_missing",
        ColumnMissingOrKind = "column_missing_or_kind",
        MoreCells = "more_cells",
        HeadingsRequired = "headings_required",
        SameAsRow = "same_as_row",
        NoSuchSystem = "no_such_system",
        DependsOnItself = "depends_on_itself",
        NoSuchRequirement = "no_such_requirement",
        UnknownStatus = "unknown_status",
        NotAMember = "not_a_member",
        LegalBasisLetter = "legal_basis_letter",
        SpecialBasisLetter = "special_basis_letter",
        StepCount = "step_count",
        MatrixGap = "matrix_gap",
        MatrixOrder = "matrix_order",
        OutOfRange = "out_of_range",
        NoSuchItem = "no_such_item",
        TooMany = "too_many",
        Duplicate = "duplicate",
        NoEvents = "no_events",
        Unscored = "unscored",
        RiskNotAccepted = "risk_not_accepted",
        NotAfterToday = "not_after_today",
        ExpiryTooFar = "expiry_too_far",
        Frozen = "frozen",
        DpiaStep = "dpia_step",
        NoDpo = "no_dpo",
        DpoAdviceRequired = "dpo_advice_required",
        RisksOrAssessment = "risks_or_assessment",
        AnswerBeforeRequest = "answer_before_request",
        DpiaLocked = "dpia_locked",
        NoConsultation = "no_consultation",
        NoRights = "no_rights",
        EndBeforeStart = "end_before_start",
        CrossEnterpriseEnd = "cross_enterprise_end",
        NotTheirManager = "not_their_manager",
        NoSuchUnit = "no_such_unit",
        NoSuchTemplate = "no_such_template",
        Unchanged = "unchanged",
    }
}

/// One field that was wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: &'static str,
    pub key: ProblemKey,
    /// The values the message names, for its translations.
    pub args: Vec<(&'static str, String)>,
    /// The message in English.
    pub message: String,
}

impl Problem {
    pub fn new(field: &'static str, key: ProblemKey, message: impl Into<String>) -> Problem {
        Problem { field, key, args: Vec::new(), message: message.into() }
    }

    /// The problem with a value its message names.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Problem {
        self.args.push((name, value.to_string()));
        self
    }
}
