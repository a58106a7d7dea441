package monitor

// ForgetCarrierClears drops the sources the carrier check cleared this
// hour, so that a benchmark's next call is an hour's first sweep.
func ForgetCarrierClears(s *Service) { s.carriersClear.forget() }
