from kameng.handlers.owner.gate import csv_response, owner_api, path_param, wants_csv
from kameng.http import body_fields, parse, respond
from kameng.services import owner_stock
from kameng.wiring import deps


@owner_api
def list_stock(event, owner):
    station = path_param(event, "station")
    listing = owner_stock.listed(owner, station, deps())
    if wants_csv(event):
        return csv_response(f"stock-{station}.csv", owner_stock.CSV_HEADER, owner_stock.csv_rows(listing))
    return respond(200, listing)


@owner_api
def open_upload(event, owner):
    request = parse(owner_stock.UploadRequest, body_fields(event))
    return respond(201, owner_stock.open_upload(owner, request.sku, request.filename, request.size, deps()))


@owner_api
def import_upload(event, owner):
    request = parse(owner_stock.ImportRequest, body_fields(event))
    return respond(200, owner_stock.import_upload(owner, request.upload_id, deps(), request.source()))


@owner_api
def void_keys(event, owner):
    request = parse(owner_stock.VoidRequest, body_fields(event))
    return respond(200, owner_stock.void(owner, request.sku, request.codes, request.key_ids, deps()))


@owner_api
def set_threshold(event, owner):
    request = parse(owner_stock.ThresholdRequest, body_fields(event))
    return respond(200, owner_stock.set_threshold(owner, path_param(event, "station"), request.sku,
                                                  request.low_stock, deps()))
