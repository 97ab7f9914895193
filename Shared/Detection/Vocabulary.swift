/// The project's one vocabulary (episode kinds, sensor kinds, body sites) is part of this
/// module's API: every type here speaks it, so importing this module brings it.
@_exported import SpasmVocabulary
