import AudioIO
import Engine

/// The client's hand on the conversation: items it adds (messages, function calls and their
/// results), retrieves and deletes.
extension SessionMachine {
    /// Items join at the end of the conversation: `previous_item_id`, when given, must name the
    /// last item (inserting earlier is not supported and is refused, not done elsewhere).
    mutating func createItem(_ item: ConversationItem, previousItemID: String?, eventID: String?, into actions: inout [SessionAction]) {
        if let previousItemID, previousItemID != lastItemID, !(previousItemID == "root" && lastItemID == nil) {
            return fail(.invalidValue("previous_item_id", "items can only be added after the last one (\(lastItemID ?? "root")); got \(previousItemID.prefix(64))",
                                      eventID: eventID), into: &actions)
        }
        var item = item
        if item.id.isEmpty { item.id = newID("item") }
        guard history.message(itemID: item.id) == nil, item.id != reply?.itemID else {
            return fail(ProtocolError(code: "item_already_exists", message: "an item \(item.id) is already in the conversation", eventID: eventID), into: &actions)
        }
        if case .userText = item.kind { turnAudioForReply = nil }  // the turn to answer is typed: there is no audio of it
        if let message = item.message { history.append(message) }
        emit(.itemAdded(item, previousItemID: lastItemID), into: &actions)
        emit(.itemDone(item, previousItemID: lastItemID), into: &actions)
        lastItemID = item.id
    }

    mutating func retrieveItem(_ itemID: String, eventID: String?, into actions: inout [SessionAction]) {
        if let message = history.message(itemID: itemID), var item = ConversationItem(message) {
            if spokenItems.contains(itemID) { item.kind = .userAudio(transcript: message.content) }
            return emit(.itemRetrieved(item), into: &actions)
        }
        // A spoken turn with no words (noise) is an item the reasoner never sees.
        if spokenItems.contains(itemID) || itemID == lastItemID, reply?.itemID != itemID, turnItemID != itemID {
            return emit(.itemRetrieved(ConversationItem(id: itemID, kind: .userAudio(transcript: ""))), into: &actions)
        }
        fail(ProtocolError(code: "item_not_found", message: "no item \(itemID.prefix(64)) in the conversation", eventID: eventID), into: &actions)
    }

    mutating func deleteItem(_ itemID: String, eventID: String?, into actions: inout [SessionAction]) {
        if itemID == reply?.itemID || reply?.calls.contains(where: { $0.itemID == itemID }) == true {
            return fail(ProtocolError(code: "item_in_progress", message: "item \(itemID.prefix(64)) belongs to the response in progress; cancel it first",
                                      eventID: eventID), into: &actions)
        }
        guard history.remove(itemID: itemID) else {
            return fail(ProtocolError(code: "item_not_found", message: "no item \(itemID.prefix(64)) in the conversation", eventID: eventID), into: &actions)
        }
        spokenItems.remove(itemID)
        emit(.itemDeleted(itemID: itemID), into: &actions)
    }
}
