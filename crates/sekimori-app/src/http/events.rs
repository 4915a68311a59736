//! HTTP app-layer events, named as Suricata names them (`app-layer-event:http.<NAME>`).

/// An HTTP parser event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum HttpEvent {
    /// A gzip/deflate body could not be decoded; delivered undecoded from there.
    GzipDecompressionFailed = 0,
    /// A request header line without a colon.
    RequestFieldMissingColon = 1,
    /// A response header line without a colon.
    ResponseFieldMissingColon = 2,
    /// Invalid chunk size in a request body.
    InvalidRequestChunkLen = 3,
    /// Invalid chunk size in a response body.
    InvalidResponseChunkLen = 4,
    /// Transfer-Encoding present but not chunked (request).
    InvalidTransferEncodingValueInRequest = 5,
    /// Transfer-Encoding present but not chunked (response).
    InvalidTransferEncodingValueInResponse = 6,
    /// Content-Length that is not a number (request).
    InvalidContentLengthFieldInRequest = 7,
    /// Content-Length that is not a number (response).
    InvalidContentLengthFieldInResponse = 8,
    /// Two Content-Length headers with different values (request).
    DuplicateContentLengthFieldInRequest = 9,
    /// Two Content-Length headers with different values (response).
    DuplicateContentLengthFieldInResponse = 10,
    /// More than one interim 100 response.
    Continue100AlreadySeen = 11,
    /// A response with no request to pair with.
    UnableToMatchResponseToRequest = 12,
    /// HTTP/1.1 request without Host header.
    MissingHostHeader = 13,
    /// URI host and Host header differ.
    HostHeaderAmbiguous = 14,
    /// Folding on the first header line (request).
    InvalidRequestFieldFolding = 15,
    /// Folding on the first header line (response).
    InvalidResponseFieldFolding = 16,
    /// Request head longer than the limit.
    RequestFieldTooLong = 17,
    /// Response head longer than the limit.
    ResponseFieldTooLong = 18,
    /// Request data after a complete request that is not a new request.
    RequestBodyUnexpected = 19,
    /// Invalid host in the request URI.
    RequestUriHostInvalid = 20,
    /// Invalid Host header.
    RequestHeaderHostInvalid = 21,
    /// A request header repeated.
    RequestHeaderRepetition = 22,
    /// A response header repeated.
    ResponseHeaderRepetition = 23,
    /// Leading whitespace before the request line.
    RequestLineLeadingWhitespace = 24,
    /// Non-space delimiter between method and URI.
    MethodDelimNonCompliant = 25,
    /// Non-space delimiter between URI and protocol.
    UriDelimNonCompliant = 26,
    /// Decompression stopped by the output cap or ratio.
    CompressionBomb = 27,
    /// A chunk extension in a chunk-size line.
    RequestChunkExtension = 28,
    /// Request line without protocol.
    RequestLineMissingProtocol = 29,
    /// More request headers than the limit.
    RequestTooManyHeaders = 30,
    /// More response headers than the limit.
    ResponseTooManyHeaders = 31,
    /// Unparseable multipart body.
    MultipartGenericError = 32,
    /// Multipart part header without the terminating empty line / invalid.
    MultipartInvalidHeader = 33,
    /// Request header line with invalid name.
    RequestHeaderInvalid = 34,
    /// Response header line with invalid name.
    ResponseHeaderInvalid = 35,
    /// Chunked encoding on an HTTP/1.0 response.
    ResponseChunkedOldProto = 36,
    /// Invalid response protocol string.
    ResponseInvalidProtocol = 37,
    /// Invalid status code.
    ResponseInvalidStatus = 38,
    /// Unusual Transfer-Encoding value containing chunked (response).
    ResponseAbnormalTransferEncoding = 39,
    /// Unknown or multiple content codings.
    AbnormalCeHeader = 40,
}

impl HttpEvent {
    /// Every event, in discriminant order.
    pub const ALL: [HttpEvent; 41] = [
        HttpEvent::GzipDecompressionFailed,
        HttpEvent::RequestFieldMissingColon,
        HttpEvent::ResponseFieldMissingColon,
        HttpEvent::InvalidRequestChunkLen,
        HttpEvent::InvalidResponseChunkLen,
        HttpEvent::InvalidTransferEncodingValueInRequest,
        HttpEvent::InvalidTransferEncodingValueInResponse,
        HttpEvent::InvalidContentLengthFieldInRequest,
        HttpEvent::InvalidContentLengthFieldInResponse,
        HttpEvent::DuplicateContentLengthFieldInRequest,
        HttpEvent::DuplicateContentLengthFieldInResponse,
        HttpEvent::Continue100AlreadySeen,
        HttpEvent::UnableToMatchResponseToRequest,
        HttpEvent::MissingHostHeader,
        HttpEvent::HostHeaderAmbiguous,
        HttpEvent::InvalidRequestFieldFolding,
        HttpEvent::InvalidResponseFieldFolding,
        HttpEvent::RequestFieldTooLong,
        HttpEvent::ResponseFieldTooLong,
        HttpEvent::RequestBodyUnexpected,
        HttpEvent::RequestUriHostInvalid,
        HttpEvent::RequestHeaderHostInvalid,
        HttpEvent::RequestHeaderRepetition,
        HttpEvent::ResponseHeaderRepetition,
        HttpEvent::RequestLineLeadingWhitespace,
        HttpEvent::MethodDelimNonCompliant,
        HttpEvent::UriDelimNonCompliant,
        HttpEvent::CompressionBomb,
        HttpEvent::RequestChunkExtension,
        HttpEvent::RequestLineMissingProtocol,
        HttpEvent::RequestTooManyHeaders,
        HttpEvent::ResponseTooManyHeaders,
        HttpEvent::MultipartGenericError,
        HttpEvent::MultipartInvalidHeader,
        HttpEvent::RequestHeaderInvalid,
        HttpEvent::ResponseHeaderInvalid,
        HttpEvent::ResponseChunkedOldProto,
        HttpEvent::ResponseInvalidProtocol,
        HttpEvent::ResponseInvalidStatus,
        HttpEvent::ResponseAbnormalTransferEncoding,
        HttpEvent::AbnormalCeHeader,
    ];

    /// Suricata's name for the event.
    pub const fn name(self) -> &'static str {
        match self {
            HttpEvent::GzipDecompressionFailed => "GZIP_DECOMPRESSION_FAILED",
            HttpEvent::RequestFieldMissingColon => "REQUEST_FIELD_MISSING_COLON",
            HttpEvent::ResponseFieldMissingColon => "RESPONSE_FIELD_MISSING_COLON",
            HttpEvent::InvalidRequestChunkLen => "INVALID_REQUEST_CHUNK_LEN",
            HttpEvent::InvalidResponseChunkLen => "INVALID_RESPONSE_CHUNK_LEN",
            HttpEvent::InvalidTransferEncodingValueInRequest => {
                "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST"
            }
            HttpEvent::InvalidTransferEncodingValueInResponse => {
                "INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE"
            }
            HttpEvent::InvalidContentLengthFieldInRequest => {
                "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST"
            }
            HttpEvent::InvalidContentLengthFieldInResponse => {
                "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE"
            }
            HttpEvent::DuplicateContentLengthFieldInRequest => {
                "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST"
            }
            HttpEvent::DuplicateContentLengthFieldInResponse => {
                "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE"
            }
            HttpEvent::Continue100AlreadySeen => "100_CONTINUE_ALREADY_SEEN",
            HttpEvent::UnableToMatchResponseToRequest => "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST",
            HttpEvent::MissingHostHeader => "MISSING_HOST_HEADER",
            HttpEvent::HostHeaderAmbiguous => "HOST_HEADER_AMBIGUOUS",
            HttpEvent::InvalidRequestFieldFolding => "INVALID_REQUEST_FIELD_FOLDING",
            HttpEvent::InvalidResponseFieldFolding => "INVALID_RESPONSE_FIELD_FOLDING",
            HttpEvent::RequestFieldTooLong => "REQUEST_FIELD_TOO_LONG",
            HttpEvent::ResponseFieldTooLong => "RESPONSE_FIELD_TOO_LONG",
            HttpEvent::RequestBodyUnexpected => "REQUEST_BODY_UNEXPECTED",
            HttpEvent::RequestUriHostInvalid => "REQUEST_URI_HOST_INVALID",
            HttpEvent::RequestHeaderHostInvalid => "REQUEST_HEADER_HOST_INVALID",
            HttpEvent::RequestHeaderRepetition => "REQUEST_HEADER_REPETITION",
            HttpEvent::ResponseHeaderRepetition => "RESPONSE_HEADER_REPETITION",
            HttpEvent::RequestLineLeadingWhitespace => "REQUEST_LINE_LEADING_WHITESPACE",
            HttpEvent::MethodDelimNonCompliant => "METHOD_DELIM_NON_COMPLIANT",
            HttpEvent::UriDelimNonCompliant => "URI_DELIM_NON_COMPLIANT",
            HttpEvent::CompressionBomb => "COMPRESSION_BOMB",
            HttpEvent::RequestChunkExtension => "REQUEST_CHUNK_EXTENSION",
            HttpEvent::RequestLineMissingProtocol => "REQUEST_LINE_MISSING_PROTOCOL",
            HttpEvent::RequestTooManyHeaders => "REQUEST_TOO_MANY_HEADERS",
            HttpEvent::ResponseTooManyHeaders => "RESPONSE_TOO_MANY_HEADERS",
            HttpEvent::MultipartGenericError => "MULTIPART_GENERIC_ERROR",
            HttpEvent::MultipartInvalidHeader => "MULTIPART_INVALID_HEADER",
            HttpEvent::RequestHeaderInvalid => "REQUEST_HEADER_INVALID",
            HttpEvent::ResponseHeaderInvalid => "RESPONSE_HEADER_INVALID",
            HttpEvent::ResponseChunkedOldProto => "RESPONSE_CHUNKED_OLD_PROTO",
            HttpEvent::ResponseInvalidProtocol => "RESPONSE_INVALID_PROTOCOL",
            HttpEvent::ResponseInvalidStatus => "RESPONSE_INVALID_STATUS",
            HttpEvent::ResponseAbnormalTransferEncoding => "RESPONSE_ABNORMAL_TRANSFER_ENCODING",
            HttpEvent::AbnormalCeHeader => "ABNORMAL_CE_HEADER",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_discriminant_order_and_names_unique() {
        for (i, e) in HttpEvent::ALL.iter().enumerate() {
            assert_eq!(*e as usize, i);
        }
        let mut names: Vec<&str> = HttpEvent::ALL.iter().map(|e| e.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), HttpEvent::ALL.len());
    }
}
