// Kameng host router: a CloudFront Function (runtime cloudfront-js-2.0) on the
// viewer-request event of the default behaviour, whose origin is the site bucket.
//
// Every station is published to its own folder of one bucket (site/<station>/ to
// s3://<bucket>/<station>/); the Host header picks the folder, as the local server does:
//   https://www.gamezone.example/p/x/          ->  /game-zone/p/x/index.html
//   https://www.gamezone.example/p/x           ->  301 to /p/x/ (query string kept)
//   https://www.gamezone.example/assets/a.css  ->  /game-zone/assets/a.css
// A host that is no station's gets a 404 here, so no station is served under a
// domain it does not own (nor under the distribution's *.cloudfront.net name).
// So does a path a redirect could turn into another host's address: see plainPath.
//
// This file is the source. infra/template.yaml carries the same text as the function's
// FunctionCode, where Fn::Sub fills in StationMap from the StationDomains parameter
// ("station=domain" pairs, comma-separated); tests/infra checks that the two are identical.
// Fn::Sub would read any other dollar-brace in this file as a variable: do not write one.

var STATION_MAP = '${StationMap}';

// A station's folder, or the console's (_console), which no station name can be.
var STATION_NAME = /^_?[a-z0-9][a-z0-9-]{1,31}$/;

// Encoded: a slash, a backslash or a control character, which no page's address holds.
var ENCODED_SEPARATOR = /%(2f|5c|[01][0-9a-f]|7f)/i;
// Decoded: a backslash (a browser reads "/<backslash>x" as "//x"), a control character (a browser drops
// tabs and newlines from a Location) or a character IDNA maps to a slash.
var SLASH_LIKE = /[\\\u0000-\u001f\u007f-\u009f\u2044\u2215\u2216\u29f8\u29f9\ufe68\uff0f\uff3c]/;

function stationsByHost(text) {
    var stations = {};
    var pairs = text.split(',');
    for (var i = 0; i < pairs.length; i++) {
        var pair = pairs[i].split('=');
        if (pair.length !== 2) {
            continue;
        }
        var station = pair[0].trim();
        var host = pair[1].trim().toLowerCase();
        if (STATION_NAME.test(station) && host) {
            stations[host] = station;
        }
    }
    return stations;
}

var STATIONS = stationsByHost(STATION_MAP);

function hostOf(request) {
    var header = request.headers.host;
    var host = header ? header.value.toLowerCase() : '';
    var colon = host.indexOf(':');
    if (colon !== -1) {
        host = host.substring(0, colon);
    }
    if (host.charAt(host.length - 1) === '.') {
        host = host.substring(0, host.length - 1);
    }
    return host;
}

// Values arrive as the viewer sent them (still percent-encoded), so they are joined as they are.
function queryString(querystring) {
    var parts = [];
    for (var name in querystring) {
        var field = querystring[name];
        var values = field.multiValue || [field];
        for (var i = 0; i < values.length; i++) {
            parts.push(values[i].value === '' ? name : name + '=' + values[i].value);
        }
    }
    return parts.length ? '?' + parts.join('&') : '';
}

// The path, its leading slashes collapsed to one; null for a path no page has and no redirect may
// echo, so that every Location starts with one slash and then a character no host address can.
function plainPath(uri) {
    if (ENCODED_SEPARATOR.test(uri)) {
        return null;
    }
    var text;
    try {
        text = decodeURIComponent(uri);
    } catch (malformed) {
        return null;
    }
    if (SLASH_LIKE.test(text) || SLASH_LIKE.test(uri)) {
        return null;
    }
    var path = '/' + uri.replace(/^\/+/, '');
    var segments = text.replace(/^\/+/, '').split('/');
    for (var i = 0; i < segments.length; i++) {
        var segment = segments[i];
        if (segment === '.' || segment === '..' || (segment === '' && i < segments.length - 1)) {
            return null;
        }
    }
    return path;
}

function notFound() {
    return {
        statusCode: 404,
        statusDescription: 'Not Found',
        headers: {'cache-control': {value: 'no-store'}}
    };
}

function handler(event) {
    var request = event.request;
    var host = hostOf(request);
    if (!Object.prototype.hasOwnProperty.call(STATIONS, host)) {
        return notFound();
    }
    var uri = plainPath(request.uri);
    if (uri === null) {
        return notFound();
    }
    var name = uri.substring(uri.lastIndexOf('/') + 1);
    if (uri.charAt(uri.length - 1) === '/') {
        uri += 'index.html';
    } else if (name.indexOf('.') === -1 && uri.indexOf('/.well-known/') !== 0) {
        // A page is a folder holding index.html; its canonical address ends in a slash,
        // which also keeps the page's relative links right.
        return {
            statusCode: 301,
            statusDescription: 'Moved Permanently',
            headers: {location: {value: uri + '/' + queryString(request.querystring)}}
        };
    }
    request.uri = '/' + STATIONS[host] + uri;
    return request;
}
