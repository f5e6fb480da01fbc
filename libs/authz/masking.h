#pragma once

#include "google/protobuf/message.h"

namespace complaints::authz {

// Masks, in place and at any depth, every complaints.events.v1.Customer in `message`: name,
// phone, ID and card numbers and the customer number as libs/common/pii.h masks them for logs.
// For responses to roles whose policy says mask_customer (operations). Returns how many
// Customer messages it masked.
int MaskCustomerData(google::protobuf::Message* message);

}  // namespace complaints::authz
