// The checks of the fit settings (FitSettings) that need no data: each option's text parsed by the
// parser that training uses, so a mistake is a JobError.badSetting under its job-file key (and so
// a usage error that names its flag) before anything is read. Checks that need the data (a class
// the label does not have, a weight column that holds words) are made as the job is built.

extension JobSettings {
    func validateFit() throws(JobError) {
        _ = try layerDefaults()
    }
}
