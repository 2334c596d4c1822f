-- | MessagePack for the Virgil ABI: the 'Value' model, the canonical encoder, the bounds-checked
-- decoder, the 'ToMsgpack' / 'FromMsgpack' classes with their instances, and record support.
module Virgil.Msgpack
  ( module Virgil.Msgpack.Value
  , module Virgil.Msgpack.Encode
  , module Virgil.Msgpack.Decode
  , module Virgil.Msgpack.Class
  , module Virgil.Msgpack.Record
  ) where

import Virgil.Msgpack.Class
import Virgil.Msgpack.Decode
import Virgil.Msgpack.Encode
import Virgil.Msgpack.Record
import Virgil.Msgpack.Value
